"""What tests share: fakes of the outside services, drivers that speak each platform's wire
format, harnesses that serve the real app, database helpers and sample data. Tests import from
here and never from one another."""
