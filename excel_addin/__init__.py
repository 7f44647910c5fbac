"""Excel side of leadsync: xlwings entry points behind the workbook buttons (to come)."""
