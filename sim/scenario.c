/* placeholder: replaced by the scenario parser */
