"""Risk rules (风险规则) and their alerts (预警)."""

__all__: list[str] = []
