"""map-crm: the mapping transform (a singer-sdk inline mapper)."""
