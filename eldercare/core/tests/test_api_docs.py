def test_openapi_schema_lists_the_registry_endpoints(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/api/elders/",
        "/api/elders/{elder_id}",
        "/api/elders/import",
        "/api/elders/export.xlsx",
        "/api/regions/",
        "/api/accounts/me",
    ):
        assert path in paths, path


def test_docs_page_is_served_from_the_package_not_a_cdn(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui-bundle.js" in html
    assert "cdn." not in html and "unpkg" not in html and "jsdelivr" not in html
