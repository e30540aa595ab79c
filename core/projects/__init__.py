"""The commune's investment-plan projects (PAI/PDC): their progress, and who follows them."""
