"""Human tasks: the people a Task waits for (issue 14); who they are is `sojourn.directory`'s."""
