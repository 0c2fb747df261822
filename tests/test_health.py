import gc


def test_health_answers_ok_once_the_database_answers(client):
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_unauthenticated_requests_get_401(client):
    response = client.get("/api/v1/contracts")
    assert response.status_code == 401
    assert "detail" in response.json()


def test_the_server_collects_garbage_less_often(client):
    # The app's lifespan (run by the client) raises it; ingestion pays for the default of 700.
    assert gc.get_threshold()[0] == 10_000
