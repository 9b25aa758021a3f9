"""Pages and API endpoints of the technical exchange zone."""

from community.forum.controllers.api import ForumApiController
from community.forum.controllers.moderation import ForumAdminController, ModerationController
from community.forum.controllers.pages import ForumController
from community.forum.controllers.tools import ToolController
from community.forum.controllers.topics import TopicController

FORUM_ROUTES = [
    ForumController,
    TopicController,
    ModerationController,
    ForumAdminController,
    ToolController,
    ForumApiController,
]

__all__ = ("FORUM_ROUTES",)
