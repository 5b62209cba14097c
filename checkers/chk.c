/* placeholder: replaced by the checker library */
