"""Suspension and certification (暂停、恢复、死亡停发与资格认证, §9.6): suspensions,
resumptions and the stop on death (``suspensions``), life certifications, data matches
and the overdue sweep (``certification``), with their pages (``views``, ``urls``)."""
