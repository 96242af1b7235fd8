"""Settings: ``base`` reads every environment variable; ``dev``, ``test`` and
``production`` only choose between behaviours it defines."""
