//! The simulated CRM+MAP: a real HTTP server on loopback speaking HubSpot's API shapes.
