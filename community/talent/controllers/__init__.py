"""The talent zone's routes: pages, 招贤榜, the admins' page and the JSON API."""

from community.talent.controllers.api import TalentApiController
from community.talent.controllers.boards import BoardController, TalentAdminController
from community.talent.controllers.pages import TalentController

TALENT_CONTROLLERS = [TalentController, BoardController, TalentAdminController, TalentApiController]
