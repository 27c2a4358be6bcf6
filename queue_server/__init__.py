"""OneWindow's server: the hall's brain. The domain core lives in ``queue_server.domain``."""
