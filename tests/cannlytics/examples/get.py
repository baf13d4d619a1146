# Get all inventory items

url = f'{BASE}/inventory?organization_id={ORG_ID}'
response = requests.get(url, headers=HEADERS)
print('Response:', response.json())
