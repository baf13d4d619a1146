# Update an inventory item.

data = {
    'item_id': 'endo',
    'strain_name': 'Old-time Moonshine',
}
url = f'{BASE}/inventory?organization_id={ORG_ID}'
response = requests.post(url, json=data, headers=HEADERS)
print('Response:', response.json())
