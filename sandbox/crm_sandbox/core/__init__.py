"""Pieces shared by both API models: app, TLS, clock, faults, accounting, CLI plumbing."""
