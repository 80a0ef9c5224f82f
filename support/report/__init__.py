"""What reaches the report: evidence, redaction, Allure statuses and labels."""
