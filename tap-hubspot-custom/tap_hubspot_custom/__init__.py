"""tap-hubspot-custom: HubSpot CRM objects, incrementally, with associations and deletes."""
