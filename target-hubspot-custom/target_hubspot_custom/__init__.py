"""target-hubspot-custom: the forward leg's loader (Singer target for HubSpot CRM objects)."""
