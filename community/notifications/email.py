"""Outgoing email. With SMTP_HOST set, mail goes to that server; without it (development) each
message is written to var/mail/ as an .eml file that any mail client opens."""

from __future__ import annotations

import logging
import secrets
from email.message import EmailMessage
from email.utils import make_msgid
from typing import TYPE_CHECKING, Any

import aiosmtplib
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from community import i18n
from community.kernel.clock import now
from community.metrics import MAIL_FAILURES
from community.vocabulary import template_filters

if TYPE_CHECKING:
    from community.config import Settings

logger = logging.getLogger(__name__)


class MailError(Exception):
    """The mail could not be handed to the mail server."""


class Mailer:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._templates = Environment(
            # Mail templates live with the zone that sends them (``forum/email/digest.txt``).
            loader=FileSystemLoader(settings.templates_dir),
            autoescape=select_autoescape(enabled_extensions=("html",)),
            undefined=StrictUndefined,
            extensions=["jinja2.ext.i18n"],
            keep_trailing_newline=True,
        )
        self._templates.install_gettext_callables(  # type: ignore[attr-defined]
            i18n.gettext, i18n.ngettext, newstyle=True
        )
        self._templates.filters.update(template_filters())

    def render(self, template: str, **context: Any) -> str:
        context.setdefault("site_name", i18n.LocalName(self.settings.site_name, self.settings.site_name_en))
        return self._templates.get_template(template).render(**context)

    async def send_template(self, to: str, subject: str, template: str, **context: Any) -> None:
        await self.send(to, subject, self.render(template, **context))

    async def send(self, to: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"] = self.settings.mail_from
        message["To"] = to
        message["Subject"] = subject
        message["Message-ID"] = make_msgid(domain="opc.wuhan.example")
        message.set_content(body)
        if self.settings.smtp_host:
            try:
                await aiosmtplib.send(
                    message,
                    hostname=self.settings.smtp_host,
                    port=self.settings.smtp_port,
                    username=self.settings.smtp_username,
                    password=self.settings.smtp_password,
                    start_tls=self.settings.smtp_starttls,
                    use_tls=self.settings.smtp_use_tls,
                    timeout=10,
                )
            except (aiosmtplib.SMTPException, OSError) as exc:
                logger.warning("mail to %s failed: %s", to, exc)
                MAIL_FAILURES.inc()
                raise MailError(str(exc)) from exc
            return
        mail_dir = self.settings.mail_dir
        mail_dir.mkdir(parents=True, exist_ok=True)
        stamp = now().strftime("%Y%m%dT%H%M%S")
        path = mail_dir / f"{stamp}-{secrets.token_hex(4)}.eml"
        path.write_bytes(bytes(message))
        logger.info("mail to %s written to %s", to, path)
