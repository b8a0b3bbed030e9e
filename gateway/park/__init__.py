"""The park tier's central side: partition leases, consumers into InfluxDB, the registry."""
