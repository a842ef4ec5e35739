"""Stand-in for the DEAN orchestrator API, built for the dean-infra end-to-end tests."""
