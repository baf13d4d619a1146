# Delete an inventory item.

data = {
    'item_id': 'endo',
}
url = f'{BASE}/inventory?organization_id={ORG_ID}'
response = requests.delete(url, json=data, headers=HEADERS)
print('Response:', response.json())
