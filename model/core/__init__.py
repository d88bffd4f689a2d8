"""State tables, the Mesa agents and CareEconomy with the one monthly schedule."""
