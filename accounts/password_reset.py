"""Password-reset mail, sent by a worker instead of inside the request.

Talking to a mail server can take seconds (or time out), and an answer that comes back
faster for unknown addresses than for known ones tells a stranger which addresses have
accounts. The form queues a job with what the mail is built from: the account's id and where
the link points. The job makes the link's token when it runs (a token is a credential: it is
never stored in the job's row) and sends to the account's address as it is then. No password
is involved at any point.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from jobs.services import enqueue, job_function


@job_function
def password_reset_mail_send(
    *,
    user_id: int,
    domain: str,
    site_name: str,
    protocol: str,
    subject_template_name: str,
    email_template_name: str,
    html_email_template_name: str | None,
    from_email: str | None,
) -> None:
    """Build and send one reset mail. A retry after a failed send sends it once more; an
    account deactivated or deleted meanwhile gets none."""
    user = get_user_model()._default_manager.filter(pk=user_id, is_active=True).first()
    if user is None:
        return
    address = getattr(user, user.get_email_field_name())
    if not address:
        return
    context = {
        "email": address,
        "domain": domain,
        "site_name": site_name,
        "uid": urlsafe_base64_encode(force_bytes(user.pk)),
        "user": user,
        "token": default_token_generator.make_token(user),
        "protocol": protocol,
    }
    # Built as PasswordResetForm.send_mail builds it, but sent here: that method logs a failed
    # send and returns, and a failure must reach the job to be retried.
    subject = "".join(render_to_string(subject_template_name, context).splitlines())
    message = EmailMultiAlternatives(subject, render_to_string(email_template_name, context), from_email, [address])
    if html_email_template_name:
        message.attach_alternative(render_to_string(html_email_template_name, context), "text/html")
    message.send()


class QueuedPasswordResetForm(PasswordResetForm):
    """Django's reset form, with the sending queued: one job per account while it waits."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        user = context["user"]
        enqueue(
            password_reset_mail_send,
            key=f"password-reset-mail:{user.pk}",
            label="Send a password-reset mail",
            user_id=user.pk,
            domain=context["domain"],
            site_name=context["site_name"],
            protocol=context["protocol"],
            subject_template_name=subject_template_name,
            email_template_name=email_template_name,
            html_email_template_name=html_email_template_name,
            from_email=from_email,
        )
