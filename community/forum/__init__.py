"""The technical exchange and open-source sharing zone (技术交流与开源共享专区)."""
