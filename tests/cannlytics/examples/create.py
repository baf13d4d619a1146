# Create an inventory item

data = {
    'admin_method': 'None',
    'approved': 'None',
    'approved_at': 'None',
    'approved_at_time': '',
    'area_id': 'None',
    'area_name': 'None',
    'category_name': 'None',
    'category_type': 'None',
    'dose': '',
    'dose_number': '',
    'dose_units': 'None',
    'item_id': 'endo',
    'item_type': 'None',
    'moved_at': 'None',
    'moved_at_time': '',
    'name': 'Item',
    'quantity': 'None',
    'quantity_type': 'None',
    'serving_size': '',
    'status': 'None',
    'strain_name': 'None',
    'supply_duration_days': '',
    'units': 'None',
    'volume': '',
    'volume_units': 'None',
    'weight': '',
    'weight_units': 'None'
}
url = f'{BASE}/inventory?organization_id={ORG_ID}'
response = requests.post(url, json=data, headers=HEADERS)
print('Response:', response.json())
