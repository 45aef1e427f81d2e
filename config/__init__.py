"""Configuration: the YAML schema (:mod:`config.models`) and its loader (:mod:`config.loader`)."""
