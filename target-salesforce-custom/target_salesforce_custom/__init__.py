"""target-salesforce-custom: the reverse leg's loader (HubSpot → Salesforce)."""
