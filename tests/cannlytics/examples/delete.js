// Delete an inventory item.

const objID = 'endo';
data = { area_id: objID };
axios.delete(`${base}/inventory/${objID}?organization_id=${orgId}`, { data, ...options})
  .then(response => {
    console.log(response.data);
  })
  .catch(error => {
    console.log(error);
  });
