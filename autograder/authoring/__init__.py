"""Authoring: keep master notebooks in step with solutions/, and build what students receive."""
