"""An integrator's proof: a client generated from api-spec/openapi.json by an
independent generator (openapi-python-client) lists companies, triggers a refresh and
reads its status until it ends, against a running `spendlens serve`.

Run by scripts/integrator.sh, which starts the server, makes an API key with
`spendlens api-key create`, generates the client into a scratch directory and puts it
on PYTHONPATH as `spendlens_client`.
"""

import io
import os
import time
import unittest
import uuid

from spendlens_client import AuthenticatedClient
from spendlens_client.api.companies import get_company, list_companies
from spendlens_client.api.refreshes import get_refresh, refresh_company
from spendlens_client.api.uploads import get_upload_template, upload_for_company
from spendlens_client.models import CompanyPage, Problem, RefreshJob, StatusFilter, UploadForm
from spendlens_client.models.refresh_state import RefreshState
from spendlens_client.types import File


def client() -> AuthenticatedClient:
    return AuthenticatedClient(
        base_url=os.environ["SPENDLENS_URL"],
        token=os.environ["SPENDLENS_API_KEY"],
        raise_on_unexpected_status=True,
    )


class GeneratedClient(unittest.TestCase):
    def test_lists_refreshes_and_reads_the_outcome(self):
        with client() as api:
            page = list_companies.sync(client=api, status=StatusFilter.AVAILABLE, limit=50)
            self.assertIsInstance(page, CompanyPage)
            self.assertGreater(len(page.items), 0, "the demo organization has available companies")
            company = page.items[0]
            self.assertEqual(company.status.value, "available")
            before = company.status_updated_at

            started = refresh_company.sync_detailed(
                id=company.id, client=api, idempotency_key=str(uuid.uuid4())
            )
            self.assertEqual(started.status_code, 202)
            job = started.parsed
            self.assertIsInstance(job, RefreshJob)
            self.assertIn(job.state, (RefreshState.QUEUED, RefreshState.RUNNING))

            deadline = time.monotonic() + 30
            while True:
                job = get_refresh.sync(id=job.id, client=api)
                if job.state not in (RefreshState.QUEUED, RefreshState.RUNNING):
                    break
                self.assertLess(time.monotonic(), deadline, "the refresh did not finish in 30 s")
                time.sleep(0.2)
            self.assertEqual(job.state, RefreshState.SUCCEEDED)

            after = get_company.sync(id=company.id, client=api)
            self.assertEqual(after.status.value, "available")
            self.assertGreater(after.status_updated_at, before)

    def test_uploads_the_template_for_a_company_whose_software_cannot_connect(self):
        with client() as api:
            template = get_upload_template.sync_detailed(file="spendlens-template.xlsx", client=api)
            self.assertEqual(template.status_code, 200)
            self.assertTrue(template.content.startswith(b"PK"), "an xlsx workbook")

            # The template holds spend detail: a company whose request includes it.
            page = list_companies.sync(client=api, limit=200)
            company = next(
                c
                for c in sorted(page.items, key=lambda c: c.status is not None)
                if any(d.value == "spend_detail" for d in c.data_types)
            )
            form = UploadForm(
                file=File(payload=io.BytesIO(template.content), file_name="books.xlsx")
            )
            uploaded = upload_for_company.sync_detailed(id=company.id, client=api, body=form)
            self.assertEqual(uploaded.status_code, 201, uploaded.content)
            self.assertEqual(uploaded.parsed.status.value, "available")
            self.assertEqual(uploaded.parsed.upload.file_name, "books.xlsx")

            # Nothing to refresh it from.
            refused = refresh_company.sync_detailed(id=company.id, client=api)
            self.assertEqual(refused.status_code, 409)
            self.assertIsInstance(refused.parsed, Problem)

            # A file that is not the template: every problem, as a problem document.
            bad = UploadForm(file=File(payload=io.BytesIO(b"hello"), file_name="bills.csv"))
            answer = upload_for_company.sync_detailed(id=company.id, client=api, body=bad)
            self.assertEqual(answer.status_code, 422)
            self.assertIsInstance(answer.parsed, Problem)
            self.assertGreater(len(answer.parsed.upload_problems), 0)

    def test_an_unknown_company_is_a_problem_document(self):
        with client() as api:
            answer = refresh_company.sync_detailed(id=uuid.uuid4(), client=api)
            self.assertEqual(answer.status_code, 404)
            self.assertIsInstance(answer.parsed, Problem)
            self.assertEqual(answer.parsed.status, 404)

    def test_a_wrong_key_is_refused(self):
        api = AuthenticatedClient(
            base_url=os.environ["SPENDLENS_URL"], token="slk_not-a-real-key"
        )
        with api:
            answer = list_companies.sync_detailed(client=api)
            self.assertEqual(answer.status_code, 401)


if __name__ == "__main__":
    unittest.main(verbosity=2)
