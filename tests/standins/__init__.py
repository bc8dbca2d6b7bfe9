"""Loopback stand-ins for the cloud APIs, speaking their real wire protocols (tests only)."""
