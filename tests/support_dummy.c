/* Keeps the test support library non-empty before any support_*.c exists. */
int pg_test_support_dummy;
