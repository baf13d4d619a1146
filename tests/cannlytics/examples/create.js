// Create an inventory item.

let data = {
  admin_method: null,
  approved: null,
  approved_at: null,
  approved_at_time: '',
  area_id: null,
  area_name: null,
  category_name: null,
  category_type: null,
  dose: '',
  dose_number: '',
  dose_units: null,
  item_id: 'endo',
  item_type: null,
  moved_at: null,
  moved_at_time: '',
  name: 'Item',
  quantity: null,
  quantity_type: null,
  serving_size: '',
  status: null,
  strain_name: null,
  supply_duration_days: '',
  units: null,
  volume: '',
  volume_units: null,
  weight: '',
  weight_units: null
};
axios.post(`${base}/inventory?organization_id=${orgId}`, data, options)
  .then(response => {
    console.log(response.data);
  })
  .catch(error => {
    console.log(error);
  });
