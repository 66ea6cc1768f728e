"""Pure rules of the product, free of SDKs and storage so they can be reasoned about alone."""
