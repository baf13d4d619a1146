"""Webhook subscriptions: subscribe, list, get, delete, rotate the secret, delivery log, redeliver."""
import functions_framework

from inventory.domain.codes import Scope
from inventory.domain.commands import CreateSubscription, ListDeliveries
from inventory.http import render, replies
from inventory.http.routes import Routes
from inventory.http.views import DeliveryView, SubscriptionView
from inventory.service import subscriptions

routes = Routes("manage_webhooks")
MANAGE = Scope.WEBHOOKS_MANAGE


@routes.operation(scope=MANAGE, summary="Subscribe a URL to events; the secret is shown once",
                  body=CreateSubscription, response="NewSubscriptionDocument", status=201)
def subscribe(call):
    command = call.body(CreateSubscription)
    return render.outcome(subscriptions.create_subscription(
        call.services, call.actor, command, call.write(replies.subscription_with_secret)))


@routes.operation(scope=MANAGE, summary="List subscriptions", response="SubscriptionList")
def list_subscriptions(call):
    return render.listing(SubscriptionView,
                          subscriptions.list_subscriptions(call.services, call.actor))


@routes.operation(scope=MANAGE, summary="Get a subscription",
                  response="SubscriptionDocument")
def get_subscription(call):
    found = subscriptions.get_subscription(call.services, call.actor, call.path["subscription_id"])
    return render.one(SubscriptionView, found)


@routes.operation(scope=MANAGE, summary="Delete a subscription",
                  response="SubscriptionDocument")
def delete_subscription(call):
    return render.outcome(subscriptions.delete_subscription(
        call.services, call.actor, call.path["subscription_id"], call.write(replies.subscription)))


@routes.operation(scope=MANAGE,
                  summary="Rotate a subscription's signing secret", response="NewSubscriptionDocument")
def rotate_secret(call):
    return render.outcome(subscriptions.rotate_secret(
        call.services, call.actor, call.path["subscription_id"],
        call.write(replies.subscription_with_secret)))


@routes.operation(scope=MANAGE, summary="A subscription's delivery log",
                  query=ListDeliveries, response="DeliveryPage")
def list_deliveries(call):
    query = call.query(ListDeliveries)
    found = subscriptions.list_deliveries(call.services, call.actor, call.path["subscription_id"], query)
    return render.cursor_slice(DeliveryView, found, query.limit)


@routes.operation(scope=MANAGE,
                  summary="Deliver one event again", response="DeliveryDocument", status=202)
def redeliver(call):
    return render.outcome(subscriptions.redeliver(
        call.services, call.actor, call.path["subscription_id"], call.path["delivery_id"],
        call.write(replies.delivery)))


@functions_framework.http
def manage_webhooks(request):
    return routes.dispatch(request)
