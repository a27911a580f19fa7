"""What people read after a run: text rendering of reports and tables (`render`) and notifications
by log, webhook and e-mail (`notify`)."""
