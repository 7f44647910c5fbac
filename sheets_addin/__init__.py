"""Google Sheets side of leadsync: the Apps Script add-in and the webhook it calls (to come)."""
