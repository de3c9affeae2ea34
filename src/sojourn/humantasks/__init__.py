"""Human tasks: the people a Task waits for (issue 14). `directory`: who they are, who acts for whom."""
