"""Public documents of the commune: budgets, accounts, plans, procurement notices, agendas."""
