"""HTTP routes of the HubSpot sandbox, one module per API resource (parse + serialise only)."""
