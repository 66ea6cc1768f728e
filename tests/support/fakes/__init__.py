"""Fakes that are real servers: they speak HTTP on 127.0.0.1 and record what they were sent."""
