"""An integrator's proof: a client generated from api-spec/openapi.json by an
independent generator (openapi-python-client) lists companies, triggers a refresh and
reads its status until it ends, against a running `spendlens serve`.

Run by scripts/integrator.sh, which starts the server, makes an API key with
`spendlens api-key create`, generates the client into a scratch directory and puts it
on PYTHONPATH as `spendlens_client`.
"""

import io
import json
import os
import time
import unittest
import uuid

from spendlens_client import AuthenticatedClient
from spendlens_client.api.companies import (
    add_entity,
    create_company,
    get_company,
    list_companies,
    list_entities,
)
from spendlens_client.api.consent import add_consent_entity, get_consent, grant_consent
from spendlens_client.api.information_requests import request_information
from spendlens_client.api.refreshes import get_refresh, refresh_company
from spendlens_client.api.reports import get_consolidated_report
from spendlens_client.api.uploads import get_upload_template, upload_for_company
from spendlens_client.models import (
    CompanyPage,
    ConsentGrant,
    DataType,
    Delivery,
    EntityLink,
    NewCompany,
    NewEntity,
    NewInformationRequest,
    Problem,
    RefreshJob,
    ReportFormat,
    StatusFilter,
    UploadForm,
)
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

    def test_a_client_group_connected_entity_by_entity_and_its_consolidated_workbook(self):
        with client() as api:
            created = create_company.sync_detailed(
                client=api,
                body=NewCompany(
                    name=f"Integrator Group {uuid.uuid4().hex[:8]}",
                    contact_name="Ines Grant",
                    contact_email="ines@group.example",
                    data_types=[DataType.FINANCIALS, DataType.SPEND_DETAIL],
                ),
            )
            self.assertEqual(created.status_code, 201, created.content)
            group = created.parsed
            request = request_information.sync(
                id=group.id, client=api, body=NewInformationRequest(delivery=Delivery.LINK)
            )
            token = request.link.rsplit("/", 1)[-1]

            # The customer: the group's own books, then an entity through the same link.
            granted = grant_consent.sync_detailed(token=token, client=api, body=ConsentGrant(platform="sandbox"))
            self.assertEqual(granted.status_code, 200, granted.content)
            entity = add_consent_entity.sync_detailed(token=token, client=api, body=NewEntity(name="Integrator Trading Ltd"))
            self.assertEqual(entity.status_code, 201, entity.content)
            self.assertIsInstance(entity.parsed, EntityLink)
            page = get_consent.sync(token=entity.parsed.token, client=api)
            self.assertEqual(page.company_name, "Integrator Trading Ltd")
            self.assertEqual([e.name for e in page.entities], [group.name, "Integrator Trading Ltd"])
            grant_consent.sync(token=entity.parsed.token, client=api, body=ConsentGrant(platform="sandbox"))

            # A user adds a third; it is not requested yet.
            added = add_entity.sync_detailed(id=group.id, client=api, body=NewEntity(name="Integrator Leasing Ltd"))
            self.assertEqual(added.status_code, 201, added.content)
            self.assertEqual(added.parsed.parent.id, group.id)
            names = sorted(e.name for e in list_entities.sync(id=group.id, client=api))
            self.assertEqual(names, ["Integrator Leasing Ltd", "Integrator Trading Ltd"])

            # The first fetches finish: the group rolls up two Available, one not requested.
            deadline = time.monotonic() + 30
            while True:
                rollup = get_company.sync(id=group.id, client=api).group
                if rollup.available == 2:
                    break
                self.assertLess(time.monotonic(), deadline, f"the first fetches did not finish: {rollup}")
                time.sleep(0.2)
            self.assertEqual((rollup.entities, rollup.not_requested), (3, 1))
            self.assertIsNone(rollup.status, "the worst of them: not requested")

            # The consolidated report as JSON tables: one row per entity with spend detail
            # (the one not requested has none), a total, a column set per currency.
            tables = get_consolidated_report.sync_detailed(id=group.id, client=api, format_=ReportFormat.JSON)
            self.assertEqual(tables.status_code, 200)
            sheets = {sheet["id"]: sheet for sheet in json.loads(tables.content)["sheets"]}
            self.assertEqual(set(sheets), {"spend_analysis", "aged_payables", "by_supplier"})
            spend = sheets["spend_analysis"]
            self.assertEqual([row[0] for row in spend["rows"]], [group.name, "Integrator Trading Ltd"])
            self.assertEqual(spend["totals"][0], "Total")

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
