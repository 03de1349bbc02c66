"""S3 fixtures (a moto server over HTTP on a free loopback port); owned by the archive work."""
