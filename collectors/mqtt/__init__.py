"""MQTT collector: subscribe to a device's topics, parse value/object/batch payloads."""

from collectors.mqtt.collector import MqttCollector, build_mqtt_collectors

__all__ = ["MqttCollector", "build_mqtt_collectors"]
