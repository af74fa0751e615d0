import os

from fastapi import FastAPI, HTTPException, Request

from conduit import Conduit, WebhookVerificationError

app = FastAPI()
conduit = Conduit(api_key=os.environ["CONDUIT_API_KEY"])


@app.post("/webhooks/conduit")
async def conduit_webhook(request: Request) -> dict[str, bool]:
    raw_payload = await request.body()
    headers = dict(request.headers)

    try:
        conduit.webhooks.verify_signature(
            raw_payload,
            headers,
            secret=os.environ["CONDUIT_WEBHOOK_SECRET"],
        )
    except WebhookVerificationError as error:
        raise HTTPException(status_code=401, detail=error.code) from error

    event = conduit.webhooks.parse_event(raw_payload)

    if event.type == "report.completed":
        report = conduit.reports.get(event.data["reportId"])
        print(report.output.markdown)

    if event.type == "matching.completed":
        matching = conduit.matching.get(event.data["matchingId"])
        print(matching.output.markdown)

    return {"received": True}
