"""Partner systems (a hotline's logger, a kiosk, an integration platform) reaching Relais through its JSON API."""
