"""Google Sheets side of leadsync: the webhook the Apps Script add-in calls (`leadsync serve`);
the Apps Script project itself is still to come."""
