"""The flows a run is made of: customer import, documents, payments (DESIGN §3, in that order)."""
