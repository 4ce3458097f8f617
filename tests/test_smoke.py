def test_start_page_answers(client):
    status, html = client.text("/")
    assert status == 200
    assert "Mitgliederbetreuung" in html
