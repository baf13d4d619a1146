// Update an inventory item.

data = {
  item_id: 'endo',
  strain_name: 'Old-time Moonshine',
};
axios.post(`${base}/inventory?organization_id=${orgId}`, data, options)
  .then(response => {
    console.log(response.data);
  })
  .catch(error => {
    console.log(error);
  });
